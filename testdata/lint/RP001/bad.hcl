# Neither snapshots nor AOF, and nothing says the data may be lost.

redis "main" {
  address = "127.0.0.1:6379"

  persistence {
    aof {
      enabled = false
    }
    rdb {}
  }
}
