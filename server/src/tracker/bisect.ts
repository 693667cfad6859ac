/**
 * Bisection of a size regression: being written (issue 18).
 */
export {};
