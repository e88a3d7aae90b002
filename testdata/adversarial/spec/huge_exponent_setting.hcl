# A number with a hundred million digits, written in 25 bytes.
redis "main" {
  address  = "127.0.0.1:6379"
  settings = { maxmemory = 1e100000000 }
}
