redis "main" {
  address = "127.0.0.1:6379"
  memory {
    max = "1gb"
  }
  memory {
    max = "2gb"
  }
}
