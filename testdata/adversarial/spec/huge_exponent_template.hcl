# The same number, turned into a string by a template.
redis "main" {
  address = "127.0.0.1:${1e100000000}"
}
