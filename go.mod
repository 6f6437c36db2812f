module github.com/zkcred/zkcred

go 1.26.8
