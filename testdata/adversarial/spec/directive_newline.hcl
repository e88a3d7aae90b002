redis "main" {
  address  = "127.0.0.1:6379"
  settings = { "maxmemory 1\nport" = "6380" }
}
