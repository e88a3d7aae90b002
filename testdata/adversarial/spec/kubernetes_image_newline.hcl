redis "main" {
  address = "127.0.0.1:6379"
  backup {
    schedule    = "0 3 * * *"
    destination = "/var/backups/redis"
  }
  cron {
    kind       = "kubernetes"
    dir        = "/srv/k8s"
    image      = "redisplan:1\n  command: [\"/bin/sh\"]"
    config_map = "spec"
  }
}
