# `relearn eval`: the command end to end, SGD logistic against liblinear (heart_scale), and CSV
# tables with text columns, missing values and string labels.
rl_script_test(eval_cli eval_cli.sh "eval")
rl_script_test(eval_convergence eval_convergence.sh "eval")
rl_script_test(csv_tabular csv_tabular.sh "eval")
rl_script_test(eval_grid eval_grid.sh "eval")
