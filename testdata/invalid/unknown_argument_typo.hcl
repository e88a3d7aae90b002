redis "main" {
  adress = "127.0.0.1:6379" # ERROR: Unsupported argument
  address = "127.0.0.1:6379"
}
