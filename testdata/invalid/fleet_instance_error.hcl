redis "cache" {
  for_each = toset(["eu", "us"])
  address  = "127.0.0.1:6379"
  memory {
    policy = "allkeys-${each.key}" # ERROR: Invalid value
  }
}
