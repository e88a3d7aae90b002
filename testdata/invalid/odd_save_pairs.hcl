redis "main" {
  address = "127.0.0.1:6379"
  settings = {
    "save" = "3600 1 300" # ERROR: Invalid value
  }
}
