redis "main" {
  address = "127.0.0.1:6379"
  settings = {
    "list-max-ziplist-entries" = 512 # ERROR: Unsupported directive
  }
}
