redis "cache" {
  for_each = ["eu", "us"] # ERROR: Invalid for_each argument
  address  = "127.0.0.1:6379"
}
