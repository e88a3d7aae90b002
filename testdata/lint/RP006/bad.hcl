redis "lazy_fsync" {
  address = "127.0.0.1:6379"

  persistence {
    aof {
      enabled = true
      fsync   = "no"
    }
  }
}

# Snapshots only, and not even hourly: no rpo, so the bar is one hour.
redis "hourly" {
  address = "127.0.0.1:6380"

  persistence {
    aof {
      enabled = false
    }
    rdb {
      snapshot {
        after   = "1h"
        changes = 1
      }
    }
  }
}

# The spec promises one minute; the best snapshot comes every five.
redis "promised" {
  address = "127.0.0.1:6381"
  rpo     = "1m"

  persistence {
    aof {
      enabled = false
    }
    rdb {
      snapshot {
        after   = "15m"
        changes = 1
      }
      snapshot {
        after   = "5m"
        changes = 100
      }
    }
  }
}
