redis "main" {
  address = "127.0.0.1:6379"
  memory {
    max = "-2gb"
  }
  persistence {
    aof {
      rewrite_min_size = "-64mb"
    }
  }
}
