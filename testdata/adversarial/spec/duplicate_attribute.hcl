redis "main" {
  address = "127.0.0.1:6379"
  address = "127.0.0.1:6380"
}
