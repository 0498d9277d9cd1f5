/* commands.h - the relearn subcommands. Each takes the arguments after its own name
 * (argv[0] is the subcommand name) and returns the process exit status:
 *   0 success; 1 the work failed (bad data under --strict, a verify that failed, broker
 *   unreachable); 2 usage or configuration error. Errors go to stderr as one line naming the
 *   input and the reason. */
#ifndef RL_COMMANDS_H
#define RL_COMMANDS_H

int rl_cmd_eval(int argc, char **argv);
int rl_cmd_inspect(int argc, char **argv);
int rl_cmd_diff(int argc, char **argv);
int rl_cmd_verify(int argc, char **argv);
int rl_cmd_produce(int argc, char **argv);
int rl_cmd_broker(int argc, char **argv);
int rl_cmd_demo(int argc, char **argv);
int rl_cmd_snapshots(int argc, char **argv);
int rl_cmd_serve(int argc, char **argv);

#endif
