# for_each keys become target names, unit names and Description= text: a
# line break in a key must not start a unit setting of its own.
redis "main" {
  for_each = toset(["a\nExecStartPre=/bin/touch /tmp/pwned", "%n$HOME", "\"; rm -rf / #"])
  address  = "127.0.0.1:6379"
  backup {
    schedule    = "@daily"
    destination = "/var/backups/redis"
  }
  cron {
    kind = "systemd"
    dir  = "/etc/systemd/system"
  }
  cron {
    kind       = "kubernetes"
    dir        = "/srv/k8s"
    image      = "redisplan:1"
    config_map = "spec"
  }
}
