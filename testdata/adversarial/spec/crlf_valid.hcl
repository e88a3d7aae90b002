redis "main" {
  address = "127.0.0.1:6379"
  memory {
    max    = "2gb"
    policy = "allkeys-lru"
  }
  backup {
    schedule    = "0 3 * * *"
    destination = "/var/backups/redis"
  }
  cron {
    file = "/etc/cron.d/redisplan"
  }
}
