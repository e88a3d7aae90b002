# A -var-file holds values, not expressions: file() is refused there.
variable "user" {
  type = string
}

redis "main" {
  address  = "127.0.0.1:6379"
  username = var.user
}
