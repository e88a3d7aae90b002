redis "main" {
  address = "127.0.0.1:6379"
  settings = {
    "hz" = 1000 # ERROR: Invalid value
  }
}

redis "zero" {
  address = "127.0.0.1:6380"
  settings = {
    "hz" = 0 # ERROR: Invalid value
  }
}
