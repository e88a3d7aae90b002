redis "main" {
  address = "127.0.0.1:6379"
}

redis "main" { # ERROR: Duplicate redis block
  address = "127.0.0.1:6380"
}
