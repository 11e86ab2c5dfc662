module syskit/bench/gocache

go 1.19
