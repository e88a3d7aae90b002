redis "main" {
  address = "localhost" # ERROR: Invalid address
}
