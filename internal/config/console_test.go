package config

import (
	"testing"
	"time"
)

func TestLoadConsole(t *testing.T) {
	tests := []sectionCase[Console]{
		{name: "defaults", want: Console{SessionDuration: time.Hour}},
		{name: "file", file: "console:\n  session_duration: 12h\n  service_reference: /srv/iam-data\n",
			want: Console{SessionDuration: 12 * time.Hour, ServiceReference: "/srv/iam-data"}},
		{name: "env", env: []string{"BREVET_CONSOLE_SESSION_DURATION=15m"}, want: Console{SessionDuration: 15 * time.Minute}},
		{name: "flag", args: []string{"--console-session-duration=8h"}, want: Console{SessionDuration: 8 * time.Hour}},
		{name: "flag over env", env: []string{"BREVET_CONSOLE_SESSION_DURATION=2h"}, args: []string{"--console-session-duration=3h"},
			want: Console{SessionDuration: 3 * time.Hour}},
		{name: "too long", env: []string{"BREVET_CONSOLE_SESSION_DURATION=12h1m"},
			wantErr: "console.session_duration: \"12h1m\" is not a duration from 15m to 12h; the default is 1h"},
		{name: "too short", args: []string{"--console-session-duration=14m59s"}, wantErr: "is not a duration from 15m to 12h"},
		{name: "zero", env: []string{"BREVET_CONSOLE_SESSION_DURATION=0"}, wantErr: "console.session_duration"},
		{name: "not a duration", file: "console:\n  session_duration: a day\n", wantErr: "brevet.yaml:2: console.session_duration"},
		{name: "a number without unit", file: "console:\n  session_duration: 3600\n", wantErr: "console.session_duration"},
	}
	runSectionCases(t, "Console", tests, func(cfg *Config) Console { return cfg.Console })
}
