redis "aof" {
  address = "127.0.0.1:6379"
  rpo     = "1s"

  persistence {
    aof {
      enabled = true
      fsync   = "everysec"
    }
  }
}

redis "snapshots_within_rpo" {
  address = "127.0.0.1:6380"
  rpo     = "10m"

  persistence {
    aof {
      enabled = false
    }
    rdb {
      snapshot {
        after   = "5m"
        changes = 1
      }
    }
  }
}

# No rpo: snapshots more often than hourly are accepted.
redis "snapshots" {
  address = "127.0.0.1:6381"

  persistence {
    aof {
      enabled = false
      fsync   = "no"
    }
    rdb {
      snapshot {
        after   = "15m"
        changes = 1
      }
    }
  }
}

# A cache promises nothing.
redis "cache" {
  address   = "127.0.0.1:6382"
  ephemeral = true

  persistence {
    rdb {
      snapshot {
        after   = "24h"
        changes = 1
      }
    }
  }
}
