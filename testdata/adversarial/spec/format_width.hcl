# A format width of a billion.
redis "main" {
  address  = "127.0.0.1:6379"
  username = format("%999999999d", 1)
}
