package mockserver

import (
	"fmt"
	"strings"
)

// What only the tests need: the faults in force, changed one step at a
// time, and the parts of ParseFaultPlan on their own. The product sets
// faults with WithFault, WithStepFault, WithFaultPlan (rosteron mock
// --fault) and SetFaults.

// Faults returns the faults now in force on every request; StepFaults
// adds those of one step.
func (s *Server) Faults() Fault { return Fault(s.faults.Load()) }

// StepFaults returns the faults now in force on the requests of step: its
// own and those on every request.
func (s *Server) StepFaults(step Step) Fault { return s.faultsOn(step) }

// SetStepFaults replaces the faults in force on the requests of one step,
// from the next request on; 0 clears them. Faults on every request stay as
// they are. It panics if step is not one of the Step constants.
func (s *Server) SetStepFaults(step Step, f Fault) {
	mustStep(step)
	s.steps[step].Store(uint32(f))
}

// SetFaultPlan replaces every fault in force, on every request and on each
// step, by p's; SetFaultPlan(FaultPlan{}) clears them all. It panics if p
// has a step that is not one of the Step constants.
func (s *Server) SetFaultPlan(p FaultPlan) {
	for st := range p.Steps {
		mustStep(st)
	}
	for _, st := range steps() {
		s.steps[st].Store(uint32(p.Steps[st]))
	}
	s.faults.Store(uint32(p.Every))
}

// ParseFault reads fault names as ParseFaultPlan does, for every step: a
// "NAME@STEP" is an error.
func ParseFault(s string) (Fault, error) {
	var f Fault
	for _, part := range splitFaults(s) {
		if strings.Contains(part, "@") {
			return 0, fmt.Errorf("mockserver: fault %q names a step, which only a fault plan can hold (see ParseFaultPlan)", part)
		}
		g, err := parseOneFault(part)
		if err != nil {
			return 0, err
		}
		f |= g
	}
	return f, nil
}

var (
	// ParseStep is parseStep, which reads a step's name.
	ParseStep = parseStep
	// Steps is steps: every step, in the order a client visits them.
	Steps = steps
)
