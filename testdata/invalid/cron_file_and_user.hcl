redis "main" {
  address = "127.0.0.1:6379"
  cron {
    file = "/etc/cron.d/redisplan"
    user = "redis" # ERROR: Conflicting cron destinations
  }
}
