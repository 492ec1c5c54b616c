package browser

import (
	"os/exec"
	"syscall"

	"github.com/chromedp/chromedp"
)

// processOptions starts Chrome in a process group of its own, so a Ctrl-C
// at the terminal (sent to the whole foreground group) reaches only us and
// the session can still log out before closing Chrome; Pdeathsig, as
// chromedp's default does, kills Chrome if we die without closing it.
func processOptions() []chromedp.ExecAllocatorOption {
	return []chromedp.ExecAllocatorOption{chromedp.ModifyCmdFunc(func(cmd *exec.Cmd) {
		if cmd.SysProcAttr == nil {
			cmd.SysProcAttr = new(syscall.SysProcAttr)
		}
		cmd.SysProcAttr.Setpgid = true
		cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	})}
}

// killGroup ends a launched Chrome and every process it started at once.
// Chrome leads its own process group (see processOptions), so this reaches
// renderers and helpers that a kill of the main process would leave to
// notice their parent's death on their own.
func killGroup(pid int) {
	if pid > 0 {
		_ = syscall.Kill(-pid, syscall.SIGKILL)
	}
}
