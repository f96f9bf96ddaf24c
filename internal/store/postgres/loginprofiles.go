package postgres

import (
	"context"

	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/store"
)

// LoginProfiles implements store.Repos.
func (r repos) LoginProfiles() store.LoginProfiles { return loginProfiles(r) }

// PasswordPolicies implements store.Repos.
func (r repos) PasswordPolicies() store.PasswordPolicies { return passwordPolicies(r) }

type loginProfiles struct{ c conn }

// userRef is a user's id and stored name.
type userRef struct{ ID, Name string }

func lookupUser(ctx context.Context, q querier, account, name string) (userRef, error) {
	var u userRef
	err := q.QueryRow(ctx, `SELECT id, name FROM users WHERE account_id = $1 AND name_key = $2`,
		account, iam.NameKey(name)).Scan(&u.ID, &u.Name)
	if noRows(err) {
		return userRef{}, notFound("user %q in account %s", name, account)
	}
	return u, err
}

func (r loginProfiles) Create(ctx context.Context, p iam.LoginProfile) error {
	return r.c.write(ctx, func(q querier) error {
		u, err := lookupUser(ctx, q, p.Account, p.UserName)
		if err != nil {
			return err
		}
		if _, err := exec(ctx, q, `INSERT INTO login_profiles (user_id, password_hash, reset_required, created_at, password_changed_at)
			VALUES ($1, $2, $3, $4, $5)`, u.ID, p.PasswordHash, p.ResetRequired, toMicros(p.Created), toMicros(p.PasswordChanged)); err != nil {
			return err
		}
		return r.c.change(ctx, q, p.Account, store.ChangeLoginProfile, u.Name)
	})
}

func (r loginProfiles) Get(ctx context.Context, account, user string) (iam.LoginProfile, error) {
	p := iam.LoginProfile{Account: account}
	var created, changed int64
	err := r.c.reader().QueryRow(ctx, `SELECT u.name, l.password_hash, l.reset_required, l.created_at, l.password_changed_at
		FROM login_profiles l JOIN users u ON u.id = l.user_id WHERE u.account_id = $1 AND u.name_key = $2`,
		account, iam.NameKey(user)).Scan(&p.UserName, &p.PasswordHash, &p.ResetRequired, &created, &changed)
	if noRows(err) {
		return iam.LoginProfile{}, notFound("login profile of user %q in account %s", user, account)
	}
	if err != nil {
		return iam.LoginProfile{}, err
	}
	p.Created, p.PasswordChanged = fromMicros(created), fromMicros(changed)
	return p, nil
}

func (r loginProfiles) Update(ctx context.Context, p iam.LoginProfile) error {
	return r.c.write(ctx, func(q querier) error {
		u, err := lookupUser(ctx, q, p.Account, p.UserName)
		if err != nil {
			return err
		}
		res, err := exec(ctx, q, `UPDATE login_profiles SET password_hash = $1, reset_required = $2, password_changed_at = $3
			WHERE user_id = $4`, p.PasswordHash, p.ResetRequired, toMicros(p.PasswordChanged), u.ID)
		if err != nil {
			return err
		}
		if err := affected(res, "login profile of user "+u.Name); err != nil {
			return err
		}
		return r.c.change(ctx, q, p.Account, store.ChangeLoginProfile, u.Name)
	})
}

func (r loginProfiles) Delete(ctx context.Context, account, user string) error {
	return r.c.write(ctx, func(q querier) error {
		u, err := lookupUser(ctx, q, account, user)
		if err != nil {
			return err
		}
		res, err := exec(ctx, q, `DELETE FROM login_profiles WHERE user_id = $1`, u.ID)
		if err != nil {
			return err
		}
		if err := affected(res, "login profile of user "+u.Name); err != nil {
			return err
		}
		return r.c.change(ctx, q, account, store.ChangeLoginProfile, u.Name)
	})
}

type passwordPolicies struct{ c conn }

func (r passwordPolicies) Put(ctx context.Context, p iam.PasswordPolicy) error {
	return r.c.write(ctx, func(q querier) error {
		if err := requireAccount(ctx, q, p.Account); err != nil {
			return err
		}
		if _, err := exec(ctx, q, `INSERT INTO password_policies (account_id, minimum_length, require_symbols,
			require_numbers, require_uppercase, require_lowercase, allow_users_to_change, max_password_age,
			password_reuse_prevention, hard_expiry) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
			ON CONFLICT (account_id) DO UPDATE SET minimum_length = excluded.minimum_length,
			require_symbols = excluded.require_symbols, require_numbers = excluded.require_numbers,
			require_uppercase = excluded.require_uppercase, require_lowercase = excluded.require_lowercase,
			allow_users_to_change = excluded.allow_users_to_change, max_password_age = excluded.max_password_age,
			password_reuse_prevention = excluded.password_reuse_prevention, hard_expiry = excluded.hard_expiry`,
			p.Account, p.MinimumLength, p.RequireSymbols, p.RequireNumbers, p.RequireUppercaseCharacters,
			p.RequireLowercaseCharacters, p.AllowUsersToChangePassword, p.MaxPasswordAge, p.PasswordReusePrevention,
			p.HardExpiry); err != nil {
			return err
		}
		return r.c.change(ctx, q, p.Account, store.ChangePasswordPolicy, p.Account)
	})
}

func (r passwordPolicies) Get(ctx context.Context, account string) (iam.PasswordPolicy, error) {
	p := iam.PasswordPolicy{Account: account}
	err := r.c.reader().QueryRow(ctx, `SELECT minimum_length, require_symbols, require_numbers,
		require_uppercase, require_lowercase, allow_users_to_change, max_password_age, password_reuse_prevention,
		hard_expiry FROM password_policies WHERE account_id = $1`, account).Scan(&p.MinimumLength, &p.RequireSymbols,
		&p.RequireNumbers, &p.RequireUppercaseCharacters, &p.RequireLowercaseCharacters, &p.AllowUsersToChangePassword,
		&p.MaxPasswordAge, &p.PasswordReusePrevention, &p.HardExpiry)
	if noRows(err) {
		return iam.PasswordPolicy{}, notFound("password policy of account %s", account)
	}
	return p, err
}

func (r passwordPolicies) Delete(ctx context.Context, account string) error {
	return r.c.write(ctx, func(q querier) error {
		res, err := exec(ctx, q, `DELETE FROM password_policies WHERE account_id = $1`, account)
		if err != nil {
			return err
		}
		if err := affected(res, "password policy of account "+account); err != nil {
			return err
		}
		return r.c.change(ctx, q, account, store.ChangePasswordPolicy, account)
	})
}
