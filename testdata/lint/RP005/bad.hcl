redis "ledger" {
  address = "127.0.0.1:6379"
  durable = true

  memory {
    max    = "2gb"
    policy = "allkeys-lru"
  }
}

redis "sessions" {
  address = "127.0.0.1:6380"
  durable = true

  memory {
    max    = "1gb"
    policy = "volatile-ttl"
  }
}
