/**
 * A prompt kept in the repository with a name and a version: the version goes into every call's record, so an
 * answer can be traced to the exact words that asked for it. Change the text → raise the version.
 */
export interface Prompt<I> {
  /** `<module>.<what>`: `intel.summary` */
  name: string;
  version: number;
  system: string;
  /** The user message from the caller's input (personal data is replaced by the gateway afterwards). */
  user(input: I): string;
}

/**
 * @example export const summaryPrompt = definePrompt({ name: 'intel.summary', version: 2, system: '…', user: (t: T) => t.title });
 */
export const definePrompt = <I>(prompt: Prompt<I>): Prompt<I> => Object.freeze(prompt);
