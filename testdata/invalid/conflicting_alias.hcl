redis "main" {
  address = "127.0.0.1:6379"
  settings = {
    "hash-max-listpack-entries" = 256
    "hash-max-ziplist-entries"  = 512 # ERROR: Conflicting settings
  }
}
