redis "ledger" {
  address = "127.0.0.1:6379"
  durable = true

  memory {
    max    = "2gb"
    policy = "noeviction"
  }
}

# Eviction is fine where nothing says the keys must stay.
redis "cache" {
  address = "127.0.0.1:6380"

  memory {
    max    = "1gb"
    policy = "allkeys-lru"
  }
}
