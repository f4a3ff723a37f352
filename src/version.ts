/** The Llama Stack API generation whose routes and shapes we serve (legacy + OpenAI routes). */
export const API_VERSION = '0.2.22';

/** Kept in step with package.json by the release process. */
export const LLAMAGATE_VERSION = '0.1.0';
