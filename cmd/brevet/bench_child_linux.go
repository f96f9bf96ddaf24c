package main

import "syscall"

// childSysProcAttr makes the kernel stop a benchmark's server if the
// benchmark itself dies (killed, crashed), so that no server is left
// behind holding CPU on a shared machine.
func childSysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
