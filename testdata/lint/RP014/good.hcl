# The archive commits at least as often as the rpo asks; a target with
# no rpo promises nothing to compare with; a local destination is fine
# here (RP007 judges where backups go), and so is a replication group,
# whose archive follows the primary like its replicas do.
redis "main" {
  address = "127.0.0.1:6379"
  rpo     = "1s"

  backup {
    schedule    = "0 3 * * *"
    destination = "s3://redis-backups/main"
    archive {
      flush = "1s"
    }
  }
}

redis "norpo" {
  address = "127.0.0.1:6380"

  backup {
    schedule    = "0 3 * * *"
    destination = "/var/backups/redis"
    archive {
      flush = "30s"
    }
  }
}

redis "group" {
  address  = "127.0.0.1:6381"
  rpo      = "2s"
  replicas = ["127.0.0.1:6382"]

  backup {
    schedule    = "0 3 * * *"
    destination = "/var/backups/redis"
    from        = "replica"
    archive {
      flush = "500ms"
    }
  }
}
