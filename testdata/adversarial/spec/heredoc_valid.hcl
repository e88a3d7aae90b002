variable "note" {
  type    = string
  default = <<-EOT
    A heredoc with ${"$"}{not_a_reference} and %{ if true }a directive%{ endif }.
    EOT
}

redis "main" {
  address  = "127.0.0.1:6379"
  username = trimspace(<<EOT
redisplan
EOT
  )
}
