redis "main" {
  address = "127.0.0.1:6379"
  persistence {
    rdb {
      snapshot {
        after   = "500ms" # ERROR: Invalid snapshot interval
        changes = 1
      }
    }
  }
}
