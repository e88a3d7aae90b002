redis "main" {
  address = "127.0.0.1:6379"
  memory {
    max = "2gb"
  }
  settings = {
    "maxmemory" = "1gb" # ERROR: Conflicting settings
  }
}
