# A primary and two replicas on one host, each with its own
# redis-PORT.conf and systemd template unit (redis-server@PORT).
redis "main" {
  address     = "127.0.0.1:6379"
  config_file = "/etc/redis/redis-{port}.conf"
  replicas    = ["127.0.0.1:6380", "127.0.0.1:6381"]

  service {
    systemd_unit = "redis-server@{port}"
  }

  persistence {
    aof {
      enabled = true
      fsync   = "everysec"
    }
  }

  backup {
    destination = "/var/backups/redis"
    from        = "replica"
  }
}

# Replicas on other hosts, found through the primary's INFO replication.
redis "sessions" {
  address  = "10.0.0.1:6379"
  replicas = "discover"
  service {
    start = ["ssh", "{host}", "sudo", "systemctl", "start", "redis-server"]
  }
}
