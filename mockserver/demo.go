package mockserver

import (
	"time"

	"github.com/rosteron/rosteron/snapshot"
)

// Demo credentials. They are public and protect nothing: the accounts exist
// only in the mock server.
const (
	DemoUsername = "joe.bloggs"
	DemoPassword = "demo-only-password"

	annUsername = "ann.nurse"
	annPassword = "ann-demo-password"
	bobUsername = "bob.driver"
	bobPassword = "bob-demo-password"
)

// DemoUser returns the demo account (DemoUsername, DemoPassword, shown as
// "BLOGGS, JOE") with DemoRoster(today).
func DemoUser(today time.Time) User {
	return User{Username: DemoUsername, Password: DemoPassword, Name: "BLOGGS, JOE", Roster: DemoRoster(today)}
}

// DefaultUsers returns the users of a server made without WithUsers: the
// demo user, ann.nurse (password "ann-demo-password") and bob.driver
// (password "bob-demo-password"), each with a roster of their own around
// today. A server computes them from its clock on every request, so a
// long-running demo stays current.
func DefaultUsers(today time.Time) []User {
	accounts := defaultAccounts(0)
	users := make([]User, len(accounts))
	for i, a := range accounts {
		users[i] = a.user
		users[i].Roster = a.roster(today)
	}
	return users
}

// defaultAccounts returns the default users, the demo user's roster with
// shifts shifts (DemoRoster's when 0).
func defaultAccounts(shifts int) []account {
	demo := DemoRoster
	if shifts > 0 {
		demo = func(today time.Time) []snapshot.Item { return DemoRosterOf(today, shifts) }
	}
	return []account{
		{user: User{Username: DemoUsername, Password: DemoPassword, Name: "BLOGGS, JOE"}, roster: demo},
		{user: User{Username: annUsername, Password: annPassword, Name: "NURSE, ANN"}, roster: annRoster},
		{user: User{Username: bobUsername, Password: bobPassword, Name: "DRIVER, BOB"}, roster: bobRoster},
	}
}

// demoShift is one shift of a fixed schedule, placed by its day offset from
// the roster's first day, so the roster is the same for a given date.
type demoShift struct {
	day      int
	title    string
	times    string
	note     string // "" is an empty Field, as most right-hand cells are
	name     string
	role     string
	warnings []string
}

const (
	ward4B     = "Ward 4B - Royal Melbourne"
	emergency  = "Emergency - Royal Melbourne"
	theatre    = "Theatre & Recovery - Royal Melbourne"
	education  = "Learning & Development - Royal Melbourne"
	rn         = "Registered Nurse Div 1"
	anum       = "Associate Nurse Unit Manager"
	dayTimes   = "07:00 - 15:30"
	lateTimes  = "13:00 - 21:30"
	nightTimes = "21:30 - 07:30"
	onCall     = "Oncall (20:30 - 08:30)"
	leaveTimes = "09:00 - 16:36"

	joeRest     = "BLOGGS, JOE: Minimum 10 hours between Allocations"
	joeOvertime = "BLOGGS, JOE: Allocation for overtime"
)

// joeSchedule covers six weeks (days 0 to 41) from three days before today.
// Missing days are rest days, which RosterOn simply leaves out.
var joeSchedule = []demoShift{
	{day: 0, title: ward4B, times: dayTimes, name: "Day Shift", role: rn},
	{day: 1, title: ward4B, times: dayTimes, name: "Day Shift", role: rn},
	{day: 2, title: ward4B, times: lateTimes, name: "Late Shift", role: rn},
	{day: 3, title: ward4B, times: "15:30 - 00:00", name: "Late Shift", role: rn},
	{day: 6, title: ward4B, times: nightTimes, name: "Night Shift", role: rn},
	{day: 7, title: ward4B, times: nightTimes, name: "Night Shift", role: rn},
	{day: 8, title: ward4B, times: nightTimes, note: "Handover < 15 min & bed board", name: "Night Shift", role: rn},
	{day: 11, title: ward4B, times: dayTimes, name: "Day Shift", role: anum},
	{day: 11, title: ward4B, times: onCall, name: "On Call", role: anum},
	{day: 12, title: emergency, times: "16:00 - 23:59", note: "Cover for Zoë Nguyễn", name: "Evening Shift", role: rn},
	{day: 13, title: ward4B, times: dayTimes, name: "Day Shift", role: rn, warnings: []string{joeRest}},
	{day: 15, title: education, times: "08:30 - 17:00", note: "Mandatory training", name: "Education Day", role: rn},
	{day: 16, title: ward4B, times: dayTimes, name: "Day Shift", role: rn},
	{day: 17, title: ward4B, times: "07:00 - 15:00", name: "Day Shift", role: rn},
	{day: 17, title: theatre, times: "15:30 - 20:00", name: "Recovery Extra", role: rn, warnings: []string{joeOvertime}},
	{day: 20, title: ward4B, times: lateTimes, name: "Late Shift", role: rn},
	{day: 21, title: ward4B, times: lateTimes, name: "Late Shift", role: rn},
	{day: 22, title: ward4B, times: leaveTimes, name: "Annual Leave", role: rn},
	{day: 23, title: ward4B, times: leaveTimes, name: "Annual Leave", role: rn},
	{day: 24, title: ward4B, times: leaveTimes, name: "Annual Leave", role: rn},
	{day: 25, title: ward4B, times: leaveTimes, name: "Annual Leave", role: rn},
	{day: 26, title: ward4B, times: leaveTimes, name: "Annual Leave", role: rn},
	{day: 29, title: ward4B, times: dayTimes, name: "Day Shift", role: rn},
	{day: 30, title: ward4B, times: dayTimes, note: "Preceptor for new graduate", name: "Day Shift", role: rn},
	{day: 31, title: ward4B, times: nightTimes, name: "Night Shift", role: rn},
	{day: 32, title: ward4B, times: nightTimes, name: "Night Shift", role: rn},
	{day: 35, title: ward4B, times: onCall, name: "On Call", role: anum},
	{day: 36, title: ward4B, times: dayTimes, name: "Day Shift", role: rn},
	{day: 37, title: ward4B, times: lateTimes, name: "Late Shift", role: rn},
	{day: 38, title: theatre, times: dayTimes, name: "Day Shift", role: rn, warnings: []string{joeRest, joeOvertime}},
	{day: 40, title: ward4B, times: dayTimes, name: "Day Shift", role: rn},
	{day: 41, title: ward4B, times: dayTimes, name: "Day Shift", role: rn},
}

// DemoRoster returns the demo user's roster: six weeks from three days
// before today (its date in today's location), with every kind of row a
// real roster shows: day, late and night shifts (nights cross midnight),
// on-call, ends at 00:00 and 23:59, annual leave, rest days, two shifts on
// one date, two titles on one date, warnings, "&", "<" and non-ASCII text.
// The same date always gives the same roster.
func DemoRoster(today time.Time) []snapshot.Item {
	return buildRoster(today, -3, joeSchedule)
}

// DemoRosterOf returns a demo roster of n shifts (none when n <= 0): the
// six weeks of DemoRoster repeated, each repeat six weeks later, cut at n.
// 124 shifts span about five and a half months, the size of a typical real
// roster page.
func DemoRosterOf(today time.Time, n int) []snapshot.Item {
	schedule := make([]demoShift, 0, max(n, 0))
	for i := range max(n, 0) {
		sh := joeSchedule[i%len(joeSchedule)]
		sh.day += scheduleDays * (i / len(joeSchedule))
		schedule = append(schedule, sh)
	}
	return buildRoster(today, -3, schedule)
}

// scheduleDays is how many days joeSchedule covers.
const scheduleDays = 42

// WithDemoShifts gives the demo user a roster of n shifts, DemoRosterOf(n),
// instead of DemoRoster's 32; n <= 0 keeps DemoRoster. It changes nothing
// when WithUsers replaces the default users.
func WithDemoShifts(n int) Option {
	return func(s *Server) { s.shifts = max(n, 0) }
}

var annSchedule = []demoShift{
	{day: 0, title: "Maternity - Sunshine Hospital", times: "07:00 - 15:30", name: "Early", role: "Midwife"},
	{day: 1, title: "Maternity - Sunshine Hospital", times: "07:00 - 15:30", name: "Early", role: "Midwife"},
	{day: 4, title: "Birth Suite - Sunshine Hospital", times: "21:00 - 07:30", name: "Night", role: "Midwife"},
	{day: 5, title: "Birth Suite - Sunshine Hospital", times: "21:00 - 07:30", name: "Night", role: "Midwife",
		warnings: []string{"NURSE, ANN: Allocation for overtime"}},
	{day: 9, title: "Maternity - Sunshine Hospital", times: "13:00 - 21:30", note: "Buddy: Renée Faÿ", name: "Late", role: "Midwife"},
	{day: 10, title: "Maternity - Sunshine Hospital", times: "09:00 - 16:36", name: "Personal Leave", role: "Midwife"},
	{day: 12, title: "Maternity - Sunshine Hospital", times: "Oncall (19:00 - 07:00)", name: "On Call", role: "Midwife"},
}

func annRoster(today time.Time) []snapshot.Item { return buildRoster(today, -1, annSchedule) }

var bobSchedule = []demoShift{
	{day: 0, title: "Depot 3 - Brunswick & Coburg", times: "05:12 - 13:40", name: "Run 412", role: "Bus Operator"},
	{day: 1, title: "Depot 3 - Brunswick & Coburg", times: "05:40 - 09:55", note: "Split shift", name: "Run 207A", role: "Bus Operator"},
	{day: 1, title: "Depot 3 - Brunswick & Coburg", times: "14:50 - 19:05", note: "Split shift", name: "Run 207B", role: "Bus Operator"},
	{day: 2, title: "Depot 3 - Brunswick & Coburg", times: "15:20 - 00:00", name: "Run 530", role: "Bus Operator"},
	{day: 3, title: "Depot 3 - Brunswick & Coburg", times: "06:15 - 14:45", name: "Run 118", role: "Bus Operator",
		warnings: []string{"DRIVER, BOB: Minimum 10 hours between Allocations"}},
	{day: 6, title: "Training Centre - Preston", times: "08:00 - 16:00", name: "Route Learning", role: "Bus Operator"},
}

func bobRoster(today time.Time) []snapshot.Item { return buildRoster(today, 0, bobSchedule) }

// buildRoster places schedule from first days after today. Dates are counted
// in UTC from today's calendar date, so DST changes cannot skip or repeat a
// day.
func buildRoster(today time.Time, first int, schedule []demoShift) []snapshot.Item {
	y, m, d := today.Date()
	start := time.Date(y, m, d+first, 12, 0, 0, 0, time.UTC)
	items := make([]snapshot.Item, 0, len(schedule))
	for _, sh := range schedule {
		y, m, d := start.AddDate(0, 0, sh.day).Date()
		note := snapshot.Empty
		if sh.note != "" {
			note = snapshot.Text(sh.note)
		}
		items = append(items, snapshot.Item{
			Date:     snapshot.Date{Year: y, Month: m, Day: d},
			Title:    sh.title,
			Detail:   []snapshot.Field{snapshot.Text(sh.times), note, snapshot.Text(sh.name), snapshot.Text(sh.role)},
			Warnings: append([]string(nil), sh.warnings...),
		})
	}
	return items
}
