import { Problem } from '../errors/problem.js';
import { isCommonPassword } from './common-passwords.js';

/** `auth.password` in the configuration (config.ts documents each key). */
export interface PasswordPolicy {
  minLength: number;
  minClasses: number;
  forbidUsername: boolean;
  forbidCommon: boolean;
  history: number;
  maxAgeDays: number;
  changeOnFirstLogin: boolean;
}

/** The defaults of `auth.password`, for settings built without it (tests that give their own `auth`). */
export const defaultPasswordPolicy: PasswordPolicy = {
  minLength: 8, minClasses: 3, forbidUsername: true, forbidCommon: true, history: 5, maxAgeDays: 0, changeOnFirstLogin: true,
};

/** How many of the four classes (lower, upper, digit, other) a password mixes; letters without case count as lower. */
export const characterClasses = (password: string): number =>
  [/\p{Ll}|\p{Lo}/u, /\p{Lu}/u, /\p{Nd}/u, /[^\p{L}\p{Nd}]/u].filter((re) => re.test(password)).length;

/** Every rule of the policy the password breaks, as messages in English and Chinese (empty: it passes). */
export const passwordPolicyFailures = (policy: PasswordPolicy, password: string, username: string): string[] => {
  const failures: string[] = [];
  if ([...password].length < policy.minLength) failures.push(`at least ${policy.minLength} characters / 至少 ${policy.minLength} 个字符`);
  if (characterClasses(password) < policy.minClasses) {
    failures.push(`mix at least ${policy.minClasses} of lower case, upper case, digits and symbols / 至少包含小写字母、大写字母、数字、符号中的 ${policy.minClasses} 类`);
  }
  if (policy.forbidUsername && username.length > 0 && password.toLowerCase().includes(username.toLowerCase())) {
    failures.push('must not contain the username / 不能包含用户名');
  }
  if (policy.forbidCommon && isCommonPassword(password)) failures.push('too common or easy to guess / 过于常见，易被猜中');
  return failures;
};

/**
 * Throws AUTH_WEAK_PASSWORD naming the field and every rule broken.
 *
 * @example assertPasswordPolicy(policy, 'Password@2026', 'li') // throws: too common or easy to guess
 */
export const assertPasswordPolicy = (policy: PasswordPolicy, password: string, username: string, field = 'password'): void => {
  const failures = passwordPolicyFailures(policy, password, username);
  if (failures.length > 0) throw new Problem('AUTH_WEAK_PASSWORD', { errors: failures.map((message) => ({ field, message })) });
};
