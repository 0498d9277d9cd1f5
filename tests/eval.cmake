# `relearn eval`: the command end to end, and SGD logistic against liblinear (heart_scale).
rl_script_test(eval_cli eval_cli.sh "eval")
rl_script_test(eval_convergence eval_convergence.sh "eval")
