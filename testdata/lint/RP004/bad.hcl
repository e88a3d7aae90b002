redis "main" {
  address = "127.0.0.1:6379"

  security {
    protected_mode = false
  }
}

redis "settings" {
  address = "127.0.0.1:6380"

  settings = {
    "protected-mode" = "no"
  }
}
