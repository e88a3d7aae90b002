redis "main" {
  address = "127.0.0.1:6379"
  timeout = "-5s"
  persistence {
    rdb {
      snapshot {
        after   = "-1h"
        changes = -1
      }
    }
  }
}
