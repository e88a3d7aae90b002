redis "main" {
  address = "127.0.0.1:6379"
  backup {
    schedule    = "0 3 * * *"
    destination = "/var/backups/redis"
  }
  cron {
    kind   = "systemd"
    dir    = "/etc/systemd/system"
    run_as = "redis\nExecStartPre=/bin/touch /tmp/pwned"
  }
}
