redis "main" {
  address       = "127.0.0.1:6379"
  redis_version = "6.2" # ERROR: Unsupported Redis version
}
