package calendar

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rosteron/rosteron/snapshot"
)

// Result is what a sync did or, with Options.DryRun, would do.
type Result struct {
	// Created, Updated and Deleted count the events written.
	Created, Updated, Deleted int
	// Unchanged, Past and Ignored are the plan's (see Plan).
	Unchanged, Past, Ignored int
	// Settled counts the writes the calendar refused because the event
	// had changed there meanwhile, which were read again and settled.
	Settled int
	// Failed counts the writes that failed; the error says why.
	Failed int
	// Lines has one line per write done (or, with DryRun, planned), as
	// Action.String writes it, in the order done.
	Lines []string
	// DryRun is set when nothing was written.
	DryRun bool
}

// Writes is the number of events written.
func (r Result) Writes() int { return r.Created + r.Updated + r.Deleted }

// String sums the result up in one line: "2 created, 1 updated, 0
// deleted, 14 unchanged", with what else happened.
func (r Result) String() string {
	verb := ""
	if r.DryRun {
		verb = "to be "
	}
	parts := []string{
		fmt.Sprintf("%d %screated", r.Created, verb),
		fmt.Sprintf("%d %supdated", r.Updated, verb),
		fmt.Sprintf("%d %sdeleted", r.Deleted, verb),
		fmt.Sprintf("%d unchanged", r.Unchanged),
	}
	if r.Settled > 0 {
		parts = append(parts, fmt.Sprintf("%d edited in the calendar meanwhile and settled", r.Settled))
	}
	if r.Past > 0 {
		parts = append(parts, fmt.Sprintf("%d before today left alone", r.Past))
	}
	if r.Ignored > 0 {
		parts = append(parts, fmt.Sprintf("%d of the account's events not of rosteron's form left alone", r.Ignored))
	}
	if r.Failed > 0 {
		parts = append(parts, fmt.Sprintf("%d failed", r.Failed))
	}
	if r.DryRun {
		parts = append(parts, "nothing written (dry run)")
	}
	return strings.Join(parts, ", ")
}

// Sync brings the account's events in cal up to date with the roster
// snap: it lists them, makes the plan (MakePlan) and applies it (Apply).
// With Options.DryRun it writes nothing and the Result's Lines are the
// plan. Its error is ErrEmptyRoster when the plan is refused as MakePlan
// says, else the calendar's, which matches ErrCalendar, or ctx's.
func Sync(ctx context.Context, cal Calendar, snap *snapshot.Snapshot, opts Options) (Result, error) {
	if snap == nil {
		return Result{}, errors.New("calendar: no roster to sync")
	}
	if err := opts.check(); err != nil {
		return Result{}, err
	}
	stored, err := cal.List(ctx, opts.Account)
	if err != nil {
		return Result{}, err
	}
	opts.Now = opts.now()
	p, err := MakePlan(snap, stored, opts)
	if err != nil {
		return Result{}, err
	}
	return Apply(ctx, cal, p)
}

// maxTries bounds the writes of one event that the calendar refuses as
// changed meanwhile: each is read again and settled, and an event edited
// that often while it is written is left for the next sync.
const maxTries = 3

// maxFailuresInRow stops Apply after this many writes in a row failed,
// other than for a conflict: the calendar is down, and trying each of
// the other events would only wait out each one's timeout.
const maxFailuresInRow = 3

// Apply carries out p in cal, action by action, and returns what was done.
// With the plan's Options.DryRun it writes nothing and reports the
// plan.
//
// A write the calendar refuses because the event changed there since it
// was listed (ErrConflict) is settled: the event is read again, and
// written again if what it says still differs from the roster, with
// SEQUENCE above the one read; an event deleted meanwhile is created
// again, and one to delete that is gone already is done. Each event is
// tried at most three times.
//
// A failed write does not stop the others, but a refusal of the
// credentials (*AuthError), the end of ctx, or three failures in a row
// do. The error is then the first failure's, which matches ErrCalendar
// (or is ctx's), with how many writes failed.
func Apply(ctx context.Context, cal Calendar, p *Plan) (Result, error) {
	res := Result{DryRun: p.opts.DryRun, Unchanged: p.Unchanged, Past: p.Past, Ignored: p.Ignored}
	if p.opts.DryRun {
		for _, a := range p.Actions {
			res.count(a.Op)
			res.Lines = append(res.Lines, a.String())
		}
		return res, nil
	}
	var first error
	inRow := 0
	for i, a := range p.Actions {
		if err := ctx.Err(); err != nil {
			first = cmpErr(first, err)
			res.Failed += len(p.Actions) - i
			break
		}
		done, note, err := p.applyOne(ctx, cal, a)
		if err != nil {
			res.Failed++
			inRow++
			first = cmpErr(first, fmt.Errorf("%s %s: %w", a.Op, describe(a.Event, a.loc), err))
			if errors.Is(err, ErrAuth) || ctx.Err() != nil || inRow >= maxFailuresInRow {
				res.Failed += len(p.Actions) - i - 1
				break
			}
			continue
		}
		inRow = 0
		if note != "" {
			res.Settled++
		}
		if done.Op == "" {
			// Settled with nothing left to write.
			res.Lines = append(res.Lines, a.String()+" (already so in the calendar: "+note+")")
			continue
		}
		res.count(done.Op)
		line := done.String()
		if note != "" {
			line += " (" + note + ")"
		}
		res.Lines = append(res.Lines, line)
	}
	if first != nil {
		if res.Failed > 1 {
			return res, fmt.Errorf("%d of %d changes to the calendar failed; the first: %w", res.Failed, len(p.Actions), first)
		}
		return res, first
	}
	return res, nil
}

func cmpErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

func (r *Result) count(op Op) {
	switch op {
	case OpCreate:
		r.Created++
	case OpUpdate:
		r.Updated++
	case OpDelete:
		r.Deleted++
	}
}

// noteSettled is the note of an action settled after a conflict.
const noteSettled = "edited in the calendar meanwhile: read again and settled"

// applyOne writes one action, settling conflicts. It returns the action
// finally done (its Op empty when, once settled, nothing was left to
// write) and a note when it was settled.
func (p *Plan) applyOne(ctx context.Context, cal Calendar, a Action) (Action, string, error) {
	note := ""
	for try := 1; ; try++ {
		var err error
		switch a.Op {
		case OpCreate:
			_, err = cal.Create(ctx, a.Event)
		case OpUpdate:
			_, err = cal.Update(ctx, a.Old, a.Event)
		case OpDelete:
			err = cal.Delete(ctx, a.Old)
		default:
			return a, note, fmt.Errorf("calendar: unknown operation %q", a.Op)
		}
		if err == nil || !errors.Is(err, ErrConflict) {
			return a, note, err
		}
		if try == maxTries {
			return a, note, fmt.Errorf("%w (still, after %d tries: left for the next sync)", err, maxTries)
		}
		note = noteSettled
		fresh, found, err := p.reread(ctx, cal, a)
		if err != nil {
			return a, note, err
		}
		next, write := p.settle(a, fresh, found)
		if !write {
			return Action{}, note, nil
		}
		a = next
	}
}

// reread reads the event of a again after a conflict: by its reference
// for an update or a delete, and for a create, which has none, by its
// UID among the account's events, else by its UID alone (Calendar.Get
// without a Ref).
func (p *Plan) reread(ctx context.Context, cal Calendar, a Action) (Stored, bool, error) {
	if a.Op != OpCreate {
		return cal.Get(ctx, a.Old)
	}
	all, err := cal.List(ctx, p.opts.Account)
	if err != nil {
		return Stored{}, false, err
	}
	var same []Stored
	for _, s := range all {
		if s.UID == a.Event.UID && s.Account == p.opts.Account {
			same = append(same, s)
		}
	}
	if len(same) == 0 {
		// The calendar refused the create for an event the listing does
		// not show: one it holds under the UID that it does not read as
		// the account's (rewritten by another app, say). Read by its UID.
		s, found, err := cal.Get(ctx, Stored{Event: a.Event})
		if err != nil {
			return Stored{}, false, fmt.Errorf("%w (the calendar holds an event with this UID that cannot be read back as the account's: "+
				"move or delete it in the calendar app)", err)
		}
		return s, found, nil
	}
	s, _ := keepOne(same)
	return s, true, nil
}

// settle plans one event again from what the calendar holds now: the
// action to write, or false when nothing is left to write.
func (p *Plan) settle(a Action, fresh Stored, found bool) (Action, bool) {
	if a.Op == OpDelete {
		if !found || fresh.Cancelled {
			return Action{}, false
		}
		return Action{Op: OpDelete, Event: fresh.Event, Old: fresh, Reason: a.Reason, loc: a.loc}, true
	}
	want := a.Event
	if !found {
		return Action{Op: OpCreate, Event: want, Reason: a.Reason, loc: a.loc}, true
	}
	if updateReason(fresh, want) == "" {
		return Action{}, false
	}
	want.Sequence = max(want.Sequence, fresh.Sequence+1)
	want.Modified = p.opts.now().UTC().Truncate(time.Second)
	return Action{Op: OpUpdate, Event: want, Old: fresh, Reason: a.Reason, loc: a.loc}, true
}
