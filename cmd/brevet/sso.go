package main

import (
	"errors"
	"fmt"
	"net/url"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

// newSSOCmd is `brevet sso`: who may obtain which roles through single
// sign-on (`aws sso login`), through the API
// (brevet:CreateAccountAssignment, brevet:DeleteAccountAssignment,
// brevet:ListAccountAssignments). It signs as `brevet sessions` does.
func newSSOCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sso",
		Short: "Assign roles to people who sign in with single sign-on (aws sso login); list and remove assignments",
		Long: `People who sign in with single sign-on (aws sso login, docs/sso.md) see and obtain
exactly the roles assigned to them, to their IAM user or group, or to their user
or group at an identity provider (--idp NAME). IAM users and groups are assigned
by unique id: a user deleted and re-created under the same name does not inherit
the assignment. The calls are signed with SigV4, authorized by IAM policy
(brevet:CreateAccountAssignment, brevet:DeleteAccountAssignment on the role's
ARN, brevet:ListAccountAssignments) and audited. The role's trust policy must
also allow {"Service": "sso.amazonaws.com"} sts:AssumeRole and
sts:SetSourceIdentity.`,
	}
	cmd.AddCommand(newSSOAssignCmd(true), newSSOAssignCmd(false), newSSOListCmd())
	return cmd
}

// assignmentXML is one assignment as the API returns it.
type assignmentXML struct {
	AccountID     string `xml:"AccountId" json:"AccountId"`
	RoleName      string `xml:"RoleName" json:"RoleName"`
	RoleArn       string `xml:"RoleArn" json:"RoleArn,omitempty"`
	Type          string `xml:"PrincipalType" json:"PrincipalType"`
	Source        string `xml:"PrincipalSource" json:"PrincipalSource"`
	PrincipalID   string `xml:"PrincipalId" json:"PrincipalId"`
	PrincipalName string `xml:"PrincipalName" json:"PrincipalName,omitempty"`
	CreatedBy     string `xml:"CreatedBy" json:"CreatedBy,omitempty"`
	Created       string `xml:"Created" json:"Created"`
}

// principalFlags are --user, --group and --idp, and unassign's --user-id
// and --group-id.
type principalFlags struct{ user, group, idp, userID, groupID string }

func (p *principalFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&p.user, "user", "", "the user: an IAM user's name (its ARN for another account's), or with --idp the provider's username claim")
	cmd.Flags().StringVar(&p.group, "group", "", "the group: an IAM group's name (its ARN for another account's), or with --idp a value of the provider's groups claim")
	cmd.Flags().StringVar(&p.idp, "idp", "", "the identity provider (its name in the sso settings); IAM when not given")
}

// addIDs adds --user-id and --group-id, for an IAM user or group deleted
// since it was assigned.
func (p *principalFlags) addIDs(cmd *cobra.Command) {
	cmd.Flags().StringVar(&p.userID, "user-id", "", "the unique id (AIDA...) of an IAM user deleted since it was assigned")
	cmd.Flags().StringVar(&p.groupID, "group-id", "", "the unique id (AGPA...) of an IAM group deleted since it was assigned")
}

// params sets the principal's parameters; need says one must be given.
func (p *principalFlags) params(v url.Values, need bool) error {
	n := 0
	for _, f := range []struct{ val, typ, param string }{
		{p.user, "USER", "PrincipalName"}, {p.group, "GROUP", "PrincipalName"},
		{p.userID, "USER", "PrincipalId"}, {p.groupID, "GROUP", "PrincipalId"},
	} {
		if f.val != "" {
			n++
			v.Set("PrincipalType", f.typ)
			v.Set(f.param, f.val)
		}
	}
	switch {
	case n > 1:
		return errors.New("give one of --user and --group")
	case n == 0 && (need || p.idp != ""):
		return errors.New("give --user or --group")
	case p.idp != "" && (p.userID != "" || p.groupID != ""):
		return errors.New("--user-id and --group-id name IAM users and groups, not a provider's")
	}
	if p.idp != "" {
		v.Set("PrincipalSource", "idp:"+p.idp)
	}
	return nil
}

// newSSOAssignCmd is `brevet sso assign` (create) or `brevet sso
// unassign`.
func newSSOAssignCmd(create bool) *cobra.Command {
	var c sessionsClient
	var role string
	var p principalFlags
	use, short, action := "assign", "Assign a role of the caller's account to a user or group", "CreateAccountAssignment"
	if !create {
		use, short, action = "unassign", "Remove an assignment: the next GetRoleCredentials of the role is refused", "DeleteAccountAssignment"
	}
	cmd := &cobra.Command{
		Use:   use + " --role NAME (--user NAME | --group NAME) [--idp NAME]",
		Short: short,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if role == "" {
				return errors.New("give --role")
			}
			params := url.Values{"RoleName": {role}}
			if err := p.params(params, true); err != nil {
				return err
			}
			var res struct {
				Create *struct {
					A assignmentXML `xml:"AccountAssignment"`
				} `xml:"CreateAccountAssignmentResult"`
				Delete *struct {
					A assignmentXML `xml:"AccountAssignment"`
				} `xml:"DeleteAccountAssignmentResult"`
			}
			if err := c.call(cmd.Context(), action, params, &res); err != nil {
				return err
			}
			var a assignmentXML
			if res.Create != nil {
				a = res.Create.A
			} else if res.Delete != nil {
				a = res.Delete.A
			}
			if c.json {
				return printJSON(cmd.OutOrStdout(), a)
			}
			verb, to := "assigned", "to"
			if !create {
				verb, to = "unassigned", "from"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s %s %s %s %s\n", verb, a.RoleArn, to, principalLabel(&a), a.PrincipalID)
			return nil
		},
	}
	c.flags(cmd)
	cmd.Flags().StringVar(&role, "role", "", "the role's name, in the caller's account")
	p.add(cmd)
	if !create {
		p.addIDs(cmd)
	}
	return cmd
}

// principalLabel is "user ann", "group devs (idp:okta)".
func principalLabel(a *assignmentXML) string {
	s := "user"
	if a.Type == "GROUP" {
		s = "group"
	}
	name := a.PrincipalName
	if name == "" {
		name = "(deleted)"
	}
	s += " " + name
	if a.Source != "" && a.Source != "iam" {
		s += " (" + a.Source + ")"
	}
	return s
}

func newSSOListCmd() *cobra.Command {
	var c sessionsClient
	var role string
	var p principalFlags
	cmd := &cobra.Command{
		Use:   "list [--role NAME] [--user NAME | --group NAME] [--idp NAME]",
		Short: "List the caller account's assignments (of one role, of one user or group)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			params := url.Values{}
			if role != "" {
				params.Set("RoleName", role)
			}
			if err := p.params(params, false); err != nil {
				return err
			}
			var all []assignmentXML
			for range 10000 {
				var out struct {
					As        []assignmentXML `xml:"ListAccountAssignmentsResult>AccountAssignments>member"`
					Truncated bool            `xml:"ListAccountAssignmentsResult>IsTruncated"`
					Marker    string          `xml:"ListAccountAssignmentsResult>Marker"`
				}
				if err := c.call(cmd.Context(), "ListAccountAssignments", params, &out); err != nil {
					return err
				}
				all = append(all, out.As...)
				if !out.Truncated || out.Marker == "" {
					break
				}
				params.Set("Marker", out.Marker)
			}
			if c.json {
				return printJSON(cmd.OutOrStdout(), all)
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "ROLE\tPRINCIPAL\tPRINCIPAL ID\tCREATED\tBY")
			for i := range all {
				a := &all[i]
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", a.RoleName, principalLabel(a), a.PrincipalID, a.Created, a.CreatedBy)
			}
			return w.Flush()
		},
	}
	c.flags(cmd)
	cmd.Flags().StringVar(&role, "role", "", "only this role's assignments")
	p.add(cmd)
	return cmd
}
