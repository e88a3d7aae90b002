redis "main" {
  address = "127.0.0.1:6379"

  memory {
    max = "2gb"
  }
}

redis "half" {
  address     = "127.0.0.1:6380"
  host_memory = "16gb"

  memory {
    max = "8gb"
  }
}
