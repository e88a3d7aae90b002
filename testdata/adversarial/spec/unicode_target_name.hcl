# "mаin" holds a Cyrillic а: not a valid target name.
redis "mаin" {
  address = "127.0.0.1:6379"
}
