package main

import "syscall"

// setDeathSignal has Linux kill Chrome if rosteron dies without stopping it.
func setDeathSignal(attr *syscall.SysProcAttr) { attr.Pdeathsig = syscall.SIGKILL }
